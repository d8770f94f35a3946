"""The floor of any server round trip (bench/bench_browser.py): a one-slider Streamlit app with one small Plotly
chart, served the same way as the app. A control that waits for the server cannot answer faster than this."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

f = st.slider("frequency", 1, 40, 20)
x = np.linspace(0, 1, 200)
st.plotly_chart(go.Figure(go.Scatter(x=x, y=np.sin(2 * np.pi * f * x))), theme=None)
