"""揭榜挂帅: challenges, applications, panels, the conversion list and deals."""
