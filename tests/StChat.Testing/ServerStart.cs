using System.Net;

namespace StChat.Testing;

// A StChat server process listens before its features have started (the schema migration first) and answers 503 to
// everything but /healthz, /readyz and /metrics until then. Any other answer to GET / means it has started.
public static class ServerStart
{
    public static async Task<bool> HasStartedAsync(HttpClient http, Uri baseUri, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(baseUri, ct);
        return response.StatusCode != HttpStatusCode.ServiceUnavailable;
    }
}
