"""Request and response models, one module per API area, named XCreate, XUpdate, XRead."""
