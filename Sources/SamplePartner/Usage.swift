/// The help texts. `otter-cert sample-partner --help`, `serve --help` and `action --help` print these.
enum Usage {
    static let main = """
    otter-cert sample-partner: the reference Otter partner of otter-cert.

    It plays a delivery provider, a POS or an ordering platform against the Otter Public API
    (or the otter-cert sandbox that emulates it): it receives signed webhooks, answers them with
    callbacks, and performs the partner's own moves ("actions") when the harness asks.

    Usage:
      otter-cert sample-partner serve --type delivery|pos|orders --otter-url URL [options]
      otter-cert sample-partner action --partner http://127.0.0.1:PORT
      otter-cert sample-partner help [serve|action]

    Run `otter-cert sample-partner serve --help` or `otter-cert sample-partner action --help` for details.
    """

    static var serve: String {
        let faults = Fault.allCases.map { "  \($0.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \($0.summary)" }
        return """
        Usage: otter-cert sample-partner serve --type delivery|pos|orders --otter-url URL [options]

        Listens for Otter webhooks on POST /webhook and for harness actions on POST /_control/action.
        Prints one line, `otter-cert sample-partner listening on http://HOST:PORT/webhook`, once it is ready.
        Stops cleanly on SIGTERM or SIGINT.

        Options:
          --type TYPE              delivery, pos or orders (decides the OAuth scopes and the moves)
          --listen HOST:PORT       where to listen (default 127.0.0.1:0; port 0 picks a free port)
          --otter-url URL          base URL of the Otter Public API / otter-cert sandbox
          --webhook-secret S       HMAC-SHA256 key of webhook signatures   (env OTTER_CERT_WEBHOOK_SECRET)
          --client-id ID           OAuth client id                         (env OTTER_CERT_CLIENT_ID)
          --client-secret S        OAuth client secret                     (env OTTER_CERT_CLIENT_SECRET)
          --port-file FILE         write the bound port number to FILE once listening
          --fault NAME             misbehave in exactly one way (for testing the harness):

        \(faults.joined(separator: "\n"))
        """
    }

    static let action = """
    Usage: otter-cert sample-partner action --partner http://127.0.0.1:PORT [--action NAME] [--store-id ID] [--vars JSON]

    The otter-cert action hook. The harness runs it once per partner action with
      OTTER_CERT_ACTION     the action, e.g. pos.confirm_order   (or --action)
      OTTER_CERT_STORE_ID   the store                             (or --store-id)
      OTTER_CERT_VARS       JSON object of known ids              (or --vars; else read from stdin)
      OTTER_CERT_RECORD, OTTER_CERT_SANDBOX_URL                   (informational)
    It forwards the action to the running partner (POST /_control/action), which performs it
    and its callbacks before answering. On success the new vars (e.g. {"orderId": ...}) are
    printed as JSON on stdout and the exit status is 0; otherwise the partner's message goes to
    stderr and the exit status is 1.

    Actions: delivery.advance_courier, pos.confirm_order, pos.mark_ready, pos.fulfill_order,
             pos.upsert_menu, pos.pause_store, pos.unpause_store,
             orders.create_order, orders.update_order, orders.cancel_order
    """
}
