namespace StChat.Nats.Internal;

// One entry of NatsOpts.Url: nats://[user:pass@|token@]host[:port] or tls://...
internal sealed record ServerAddress(string Host, int Port, bool Tls, string? Username, string? Password, string? Token)
{
    public const int DefaultPort = 4222;

    public static IReadOnlyList<ServerAddress> ParseList(string urls)
    {
        var result = new List<ServerAddress>();
        foreach (var part in urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result.Add(Parse(part));
        }

        if (result.Count == 0)
        {
            throw new ArgumentException("NatsOpts.Url must name at least one server.", nameof(urls));
        }

        return result;
    }

    public static ServerAddress Parse(string url)
    {
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{url}' is not a NATS server URL such as nats://127.0.0.1:4222.", nameof(url));
        }

        var tls = uri.Scheme switch
        {
            "nats" => false,
            "tls" => true,
            _ => throw new ArgumentException($"'{url}' has scheme '{uri.Scheme}'; use nats:// or tls://.", nameof(url)),
        };

        string? user = null;
        string? password = null;
        string? token = null;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                token = Uri.UnescapeDataString(uri.UserInfo);
            }
            else
            {
                user = Uri.UnescapeDataString(uri.UserInfo[..colon]);
                password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host;
        return new ServerAddress(host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, tls, user, password, token);
    }

    public override string ToString() => $"{(Tls ? "tls" : "nats")}://{Host}:{Port}";
}
