"""The AWS protocols both sides speak: restJson1 rules (`restjson`), SigV4 signing (`sigv4`)."""
