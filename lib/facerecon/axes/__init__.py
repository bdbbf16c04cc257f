"""axes: the study's axes, each a registry of name -> entry carrying what the rest needs (label,
colour, marker, settings; importable without Keras): obfuscation (and its functions), losses
(and their functions, keras.ops loading at first use), architectures, measures (the label, unit
and digits of PSNR and SSIM); and their Keras side, reached only where networks are trained or
scored: networks (a builder per architecture, @builds(name)), metrics (keras.ops); identity, the
deep face descriptor's distance to the original (dlib).

A new obfuscation: its function and entry in obfuscation.py. A new loss: its function and entry
in losses.py. A new architecture: its builder in networks.py, its entry in architectures.py and
its notebook. Then its profile sections (params/*.yaml) and its test.

May import: core.
"""
