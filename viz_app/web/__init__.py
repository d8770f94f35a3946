"""The browser side: controls that answer in the browser (.js), presentation mode, the theme of every chart."""
