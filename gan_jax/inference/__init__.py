"""What a trained run is used for: restoring its newest checkpoint, sample grids,
interpolations and the final evaluations of ``--mode=eval``."""
