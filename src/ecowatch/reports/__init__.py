"""Reports: tables and figures written for people (spreadsheets now; bulletins and PDF to come)."""
