"""How shoppers and staff reach the bot.

``render`` maps one bot reply to each channel's format (pure); ``messaging`` plugs it into
Rasa's Telegram, Slack and Messenger channels; ``credentials`` drops the channels whose
variables are unset; ``pages`` is the pure logic of the web chat and kiosk routes that
``web`` serves; ``rasa_plugins`` holds the guarded REST / Socket.IO inputs and the Redis
tracker and lock stores that fail loudly.
"""
