"""Exporting trained Keras models to deployable artifacts (SavedModel, TFLite, Edge TPU)."""
