"""Training: the build of an experiment from its config, the pure steps, the state, the
loop shared by single runs and seed ensembles, checkpoints, optimizers, augmentation and the
real-image threshold."""
