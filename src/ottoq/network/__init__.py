"""The depot network: cities, depots and their resources."""
