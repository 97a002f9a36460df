"""Readers of models made by other tools (ONNX), turning them into rfcalc specs."""
