"""`rfcalc draw`: pictures that teach (issue 8). Grid diagrams are described once as shapes
(canvas.py) and written as SVG directly or as PNG through matplotlib; plots use matplotlib, the
optional [draw] extra, imported only when a plot or a PNG is made.

- windows.py: a layer conv_arithmetic style (padded or stretched input, footprints, output grid);
- paths.py: path counts from a unit to each input pixel (the uniform-weight effective RF);
- fields.py: units' receptive fields on the input grid (box, exact set with holes, path counts);
- growth.py: r and j per layer, several specs on one plot;
- erf_plot.py: the picture of `rfcalc erf` (axes, title, colour bar, legend; 1-D as a line plot);
- command.py: the command line.
"""
