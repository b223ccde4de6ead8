"""Front end: ONNX -> the float IR (one channel, one time step), never torch."""
