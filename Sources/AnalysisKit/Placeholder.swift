// AnalysisKit: placeholder until its issue lands.
