"""benches/run's package (benches/README.md has the map and how to add a row
or a contestant): cli, rounds (a measuring run), contestants, measurements/,
render/, helpers; the child programs are files in benches/children/.
"""
