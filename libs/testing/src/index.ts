export { dockerEngineAnswers, resolveTestEnvironment } from './environment';
export type { TestEnvironment } from './environment';
export { expectEventually, uniqueName } from './waiting';
export { encodeOnnxModel, mlpModel, sequenceModel, weights } from './onnx-model';
export type { ElemType, OnnxGraph, OnnxInitializer, OnnxNode, OnnxValue } from './onnx-model';
