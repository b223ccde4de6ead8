"""spikey_train: the Spikey predictive model (torch), its training and its export to ONNX +
metadata; a trained model is then compiled by codegen (codegen.compile) for the codec."""
