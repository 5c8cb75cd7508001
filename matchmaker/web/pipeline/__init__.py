"""揭榜挂帅 owner pipeline, review panel, adoption decisions and deals."""
