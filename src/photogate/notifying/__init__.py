"""Stage 4, notifying: send the customer one thank-you email once the photo is live."""
