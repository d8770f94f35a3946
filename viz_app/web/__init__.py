"""The browser side: controls that answer in the browser and the one keyboard dispatcher (.js), presentation mode,
the theme of every chart."""
