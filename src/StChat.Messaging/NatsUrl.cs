namespace StChat.Messaging;

/// <summary>
/// Reads <c>Nats:Url</c>: a comma-separated list of server URLs, each optionally carrying <c>user:password@</c> or
/// <c>token@</c>. The credentials are taken out of the URLs before the client sees them, so no log line (ours or the
/// library's) can show them.
/// </summary>
internal static class NatsUrl
{
    private const string Example = "'nats://127.0.0.1:4222' (a comma-separated list for a cluster)";

    /// <summary>The servers with the credentials removed, plus the credentials the URLs carried; null and an error
    /// when the value is not a list of nats:// or tls:// URLs.</summary>
    public static NatsServers? TryParse(string? value, out string? error)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "Nats:Url is not set. Set it in config/appsettings.json or with the environment variable Nats__Url, " +
                $"e.g. {Example}.";
            return null;
        }

        var urls = new List<string>();
        string? userInfo = null;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "nats://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls")
                || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0)
            {
                error = $"Nats:Url contains '{Redact(part)}', which is not a nats:// or tls:// URL such as {Example}.";
                return null;
            }

            if (uri.UserInfo.Length > 0)
            {
                if (userInfo is not null && userInfo != uri.UserInfo)
                {
                    error = "Nats:Url carries different credentials for different servers; the client uses one set. " +
                        "Put them in Nats:User/Nats:Password or Nats:Token instead.";
                    return null;
                }

                userInfo = uri.UserInfo;
            }

            urls.Add(new UriBuilder(uri) { UserName = "", Password = "" }.Uri.GetLeftPart(UriPartial.Authority));
        }

        if (urls.Count == 0)
        {
            error = $"Nats:Url '{Redact(value)}' names no server; set it to e.g. {Example}.";
            return null;
        }

        error = null;
        string? user = null, password = null, token = null;
        if (userInfo is not null)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                token = Uri.UnescapeDataString(userInfo);
            }
            else
            {
                user = Uri.UnescapeDataString(userInfo[..colon]);
                password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
        }

        return new NatsServers(string.Join(',', urls), user, password, token);
    }

    /// <summary>The value with every password or token replaced by <c>***</c>, fit for a log line.</summary>
    public static string Redact(string value)
    {
        var parts = value.Split(',');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var start = part.IndexOf("://", StringComparison.Ordinal) is var s and >= 0 ? s + 3 : 0;
            var at = part.LastIndexOf('@');
            if (at < start)
            {
                continue;
            }

            var colon = part.IndexOf(':', start);
            parts[i] = colon >= 0 && colon < at
                ? string.Concat(part.AsSpan(0, colon + 1), "***", part.AsSpan(at))
                : string.Concat(part.AsSpan(0, start), "***", part.AsSpan(at));
        }

        return string.Join(',', parts);
    }
}
