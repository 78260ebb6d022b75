namespace SmartLead.Gateway.Clients;

/// <summary>
/// The internal clients allowed to call the gateway, section <c>Clients</c> (a list). Empty, the default, leaves the
/// gateway open to anyone who can reach it, with a warning at start; once one client is listed, every <c>/api/</c>
/// call must carry a listed client's key. Reloads like every setting: security adds or revokes a client by editing a
/// config file, without a restart.
/// </summary>
/// <remarks>
/// The list is bound as the section itself (<c>Clients:0:Name</c>, <c>Clients__0__KeySha256</c>), which is why the
/// options class is the list. It starts empty so the configured items replace, not extend, anything in code.
/// </remarks>
internal sealed class ClientsOptions : List<ClientOptions>
{
    public const string SectionName = "Clients";
}

/// <summary>One internal client.</summary>
internal sealed class ClientOptions
{
    /// <summary>
    /// The client's name, as it appears in the request log, on the status page and as the <c>client</c> metric label.
    /// Required, unique, 1–64 characters of letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// The SHA-256 of the client's key, 64 hex digits (either case). Only the hash is stored, so a settings file that
    /// leaks gives nobody a key. Print it with <c>dotnet run --project src/SmartLead.Gateway -- hash-client-key</c>.
    /// Required, unique.
    /// </summary>
    public string? KeySha256 { get; set; }

    /// <summary>
    /// The client's share when the budget is contended: waiting requests are served round-robin over clients, this
    /// many of this client's per turn (FIFO within the client). Default 1; 1–100.
    /// </summary>
    public int Weight { get; set; } = 1;

    /// <summary>
    /// Most of this client's requests that may wait for the budget at once, on top of <c>RateLimit:QueueLimit</c> for
    /// all clients together; the next one gets 429 at once. Default none (only the shared limit applies).
    /// </summary>
    public int? QueueLimit { get; set; }

    /// <summary>
    /// The most of the budget this client may take while other clients wait, as a fraction of the permits served
    /// since they began waiting together: more than 0, at most 1. Default none (its weight alone decides). A client
    /// alone in the waiting room is never held back by it.
    /// </summary>
    public double? MaxShare { get; set; }
}
