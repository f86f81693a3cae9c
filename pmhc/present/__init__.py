"""What each page shows, built from the indicators: key figures and aggregated frames per
page (views), Altair charts (charts), Excel and CSV downloads (excel) and page texts
(guidance). Nothing here renders; pmhc.ui does.

May import: pmhc.analysis and everything below it. Never Streamlit."""
