"""The report centre (报表中心) and the manager's home figures: aggregates computed in the database, exported to Excel."""
