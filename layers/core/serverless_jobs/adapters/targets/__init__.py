"""The TargetSender port's adapters: one module per target type, and `router` choosing among them."""
