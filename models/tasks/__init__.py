"""Learning tasks: data sets and the input encodings that feed the network."""
