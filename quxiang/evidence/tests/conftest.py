def pytest_configure(config):
    config.addinivalue_line("markers", "ocr: runs the RapidOCR models on rendered pages (seconds each)")
