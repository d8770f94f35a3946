"""Pure figure functions: engine Trace / History -> plotly Figure. No Streamlit, no globals; colours in theme."""
