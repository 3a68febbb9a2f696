"""The depot dashboard: static HTML, CSS and ES modules that OTTO-Q serves itself."""
