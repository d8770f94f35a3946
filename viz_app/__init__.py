"""viz_app: the Streamlit app. Reads engine Traces and Histories; holds no maths of its own."""
