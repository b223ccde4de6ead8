"""The compiled-model runtime: a model directory, its compiled form, and its host C build."""
