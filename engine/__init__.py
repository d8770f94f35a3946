"""engine: PyTorch-exact RNN / LSTM / GRU models, their training, and a recording of everything inside them.

Imports torch and numpy only (never streamlit or plotly). Public API: RecurrentNet, record, Trace, cliff_loss,
train, TrainConfig, tasks.
"""
from engine.errors import (ArchitectureError, ConfigError, DataError, EngineError, ResourceError, ShapeError,
                           StateDictError, TextError, VocabularyError)
from engine.model import RecurrentNet, generate
from engine.record import JacobianMaps, Trace, Truncated, WeightTerms, record
from engine.lessons.cliff import cliff_loss
from engine.training import History, TrainConfig, train

__all__ = ["RecurrentNet", "generate", "Trace", "JacobianMaps", "WeightTerms", "Truncated", "record", "cliff_loss",
           "History", "TrainConfig", "train", "EngineError", "ConfigError", "ShapeError", "StateDictError", "TextError",
           "VocabularyError", "DataError", "ResourceError", "ArchitectureError"]
