"""Small utilities: the registry helper, errors, the device mesh, package-client fetches,
image grids and the terminal."""
