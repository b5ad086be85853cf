"""Request and response schemas, one module per feature; the core contract is re-exported."""

from server.schemas.core import (
    COMPACT,
    FORECAST,
    LABEL,
    Health,
    InlineModel,
    LayerGradsOut,
    LayerOut,
    LogNorms,
    Matrix,
    ModelConfig,
    ModelDetail,
    ModelList,
    ModelSummary,
    TensorJSON,
    TraceRequest,
    TraceResponse,
)

__all__ = [
    "COMPACT",
    "FORECAST",
    "LABEL",
    "Health",
    "InlineModel",
    "LayerGradsOut",
    "LayerOut",
    "LogNorms",
    "Matrix",
    "ModelConfig",
    "ModelDetail",
    "ModelList",
    "ModelSummary",
    "TensorJSON",
    "TraceRequest",
    "TraceResponse",
]
