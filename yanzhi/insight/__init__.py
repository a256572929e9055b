"""Customer insight: dynamic tags, segmentation (RFM, value score, classes) and saved segments turned into follow-up or SMS campaigns."""
