using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace StChat.Chat.Security;

// Which pages may open a chat WebSocket: the server's own origin (the scheme and Host of the request itself, so the
// page it serves and nginx in front with the Host passed on both count), the origins of Chat:AllowedOrigins, and in
// Development http://localhost and http://127.0.0.1 on any port. A request without an Origin header comes from no page
// (wscat, another server) and is allowed: the check stops a browser from lending a foreign page its user's reach.
internal sealed class AllowedOrigins
{
    private static readonly string[] LocalHosts = ["localhost", "127.0.0.1", "[::1]"];

    private readonly HashSet<string> _origins;
    private readonly bool _localhostOnAnyPort;

    public AllowedOrigins(IOptions<ChatOptions> options, IHostEnvironment environment)
        : this(options.Value.AllowedOrigins, environment.IsDevelopment())
    {
    }

    public AllowedOrigins(IEnumerable<string> origins, bool localhostOnAnyPort)
    {
        _origins = new HashSet<string>(StringComparer.Ordinal);
        foreach (var origin in origins)
        {
            if (TryNormalize(origin, out var normalized, out _))
            {
                _origins.Add(normalized);
            }
        }

        _localhostOnAnyPort = localhostOnAnyPort;
    }

    public bool Allows(HttpRequest request)
    {
        var origin = request.Headers.Origin;
        return origin.Count switch
        {
            0 => true,
            1 => Allows(origin.ToString(), request.Scheme, request.Host),
            _ => false,
        };
    }

    public bool Allows(string origin, string scheme, HostString host)
    {
        if (!TryNormalize(origin, out var normalized, out var uri))
        {
            return false;
        }

        return _origins.Contains(normalized)
            || (host.HasValue && TryNormalize($"{scheme}://{host.Value}", out var own, out _) && own == normalized)
            || (_localhostOnAnyPort && LocalHosts.Contains(uri!.Host, StringComparer.OrdinalIgnoreCase));
    }

    // What is wrong with the entries of Chat:AllowedOrigins, one message per bad entry.
    public static IEnumerable<string> Problems(IReadOnlyList<string> origins) =>
        origins.Where(o => !TryNormalize(o, out _, out _)).Select(o =>
            $"Chat:AllowedOrigins entries must be origins such as https://chat.example.com or http://127.0.0.1:8080 (scheme, host and optional port, no path); got '{o}'.");

    // scheme://host:port in lower case with the port always written, so that http://a and http://a:80 compare equal.
    private static bool TryNormalize(string? value, out string normalized, out Uri? uri)
    {
        normalized = "";
        if (!Uri.TryCreate(value?.Trim(), UriKind.Absolute, out uri)
            || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return false;
        }

        normalized = $"{uri.Scheme}://{uri.Host}:{uri.Port}";
        return true;
    }
}
