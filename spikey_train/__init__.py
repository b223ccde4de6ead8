"""spikey_train: recordings, the Spikey predictive model, and its training."""
