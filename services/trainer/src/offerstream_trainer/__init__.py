"""offerstream trainer: reads decisions and outcomes from ClickHouse, trains, exports ONNX."""

__version__ = "0.1.0"
