"""The portal's statements and basics: privacy notice (個人情報の取扱い), terms of use,
accessibility statement (JIS X 8341-3:2016) with its test results, contact, and the favicon."""
