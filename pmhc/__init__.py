"""PMHC Dashboard: analytics for police-mental health collaborations."""
