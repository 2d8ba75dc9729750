"""Real-world Deepgram failure reports with confirmed causes, and the runner that scores the diagnosis on them."""
