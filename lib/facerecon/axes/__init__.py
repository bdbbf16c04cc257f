"""axes: the study's axes, each a registry of name -> entry carrying what the rest needs (label,
colour, marker, settings; importable without Keras): obfuscation (and its functions), losses
(and their functions, keras.ops loading at first use), architectures, measures (label, unit,
digits and per-image function of PSNR, SSIM and the identity distance); and their Keras side,
reached only where networks are trained or scored: networks (a builder per architecture,
@builds(name)), metrics (PSNR and SSIM with keras.ops); face_descriptor, dlib's deep face
descriptor, whose distance to the original is the identity distance.

A new obfuscation: its function and entry in obfuscation.py. A new loss: its function and entry
in losses.py. A new measure: its function and entry in measures.py. A new architecture: its
builder in networks.py, its entry in architectures.py and its notebook. Then its profile
sections (params/*.yaml) and its test.

May import: core.
"""
