import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ScoringErrorCode, ScoringException } from './scoring.exception';

/** The files of one model version. */
export interface ModelFiles {
  readonly onnx: Uint8Array;
  readonly manifest: unknown;
  readonly path: string;
}

/**
 * The model store: a directory (`<store>/<model>/<version>/model.onnx`, model.json beside
 * it). An announcement's URI is a path (absolute, or relative to the store) or a file://
 * URI. S3 URIs are refused with a clear error: this build reads a mounted directory (in
 * Kubernetes, a volume synced from the bucket).
 */
export class ModelStoreRepository {
  constructor(private readonly root: string) {}

  pathOf(uri: string): string {
    if (/^s3:\/\//i.test(uri))
      throw new ScoringException(
        ScoringErrorCode.MODEL_REFUSED,
        `model URI ${uri}: S3 stores are read through a synced volume; point MODEL_STORE_URI at it`,
      );
    const p = uri.startsWith('file://') ? new URL(uri).pathname : uri;
    return isAbsolute(p) ? p : resolve(this.root, p);
  }

  async read(uri: string): Promise<ModelFiles> {
    const path = this.pathOf(uri);
    const onnxPath = path.endsWith('.onnx') ? path : join(path, 'model.onnx');
    let onnx: Buffer;
    let text: string;
    try {
      [onnx, text] = await Promise.all([
        readFile(onnxPath),
        readFile(join(dirname(onnxPath), 'model.json'), 'utf8'),
      ]);
    } catch (err) {
      throw new ScoringException(
        ScoringErrorCode.MODEL_REFUSED,
        `model files at ${onnxPath} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    let manifest: unknown;
    try {
      manifest = JSON.parse(text) as unknown;
    } catch {
      throw new ScoringException(
        ScoringErrorCode.MODEL_REFUSED,
        `model.json beside ${onnxPath} is not JSON`,
      );
    }
    return { onnx, manifest, path: onnxPath };
  }
}
