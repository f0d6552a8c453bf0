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
        var withoutCredentials = false;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "nats://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls")
                || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0
                || uri.Fragment.Length > 0)
            {
                error = $"{Quote(value, part)} is not a nats:// or tls:// URL such as {Example}. A ',', '/', '?', '#' " +
                    "or '@' in a password or token must be percent-encoded (%2C, %2F, %3F, %23, %40), or set it in " +
                    "Nats:Password or Nats:Token instead.";
                return null;
            }

            // A server without credentials in front of one with them is how a password holding ',' reads once split:
            // refusing it keeps pieces of that password out of the server list the client dials and logs.
            withoutCredentials |= uri.UserInfo.Length == 0;
            if (withoutCredentials && uri.UserInfo.Length > 0)
            {
                error = $"Nats:Url '{Redact(value)}' lists a server without credentials before one with them. Put the " +
                    "credentials on the first server; a ',' in a password or token must be written %2C (or set it in " +
                    "Nats:Password or Nats:Token instead).";
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

    /// <summary>
    /// The value with every password or token replaced by <c>***</c>, fit for a log line. It works on the whole value,
    /// not on its comma-separated parts, because a password may hold ',' (or '@', '/', ':'): everything from after the
    /// leading scheme up to the last '@' is hidden, except a user name that is plainly one.
    /// </summary>
    public static string Redact(string value)
    {
        var at = value.LastIndexOf('@');
        if (at < 0)
        {
            return value;
        }

        var start = LeadingSchemeLength(value);
        var colon = value.IndexOf(':', start, at - start);
        var user = colon < 0 ? "" : value[start..colon];
        var shown = user.Length > 0 && !user.Any(c => c is ',' or '/' or '@' or '?' or '#' || char.IsWhiteSpace(c))
            ? user + ":"
            : "";
        return string.Concat(value.AsSpan(0, start), shown, "***", value.AsSpan(at));
    }

    // The value when it has no credentials to hide, else the part quoted within the whole value redacted: the part
    // alone may be a piece of a password that was split at a ','.
    private static string Quote(string value, string part) => value.Contains('@', StringComparison.Ordinal)
        ? $"Nats:Url '{Redact(value)}' has an entry that"
        : $"Nats:Url contains '{part}', which";

    // "nats://" at the very start; a "://" further in may belong to a password.
    private static int LeadingSchemeLength(string value)
    {
        var i = 0;
        while (i < value.Length && char.IsWhiteSpace(value[i]))
        {
            i++;
        }

        var schemeStart = i;
        while (i < value.Length && (char.IsAsciiLetterOrDigit(value[i]) || value[i] is '+' or '-' or '.'))
        {
            i++;
        }

        return i > schemeStart && char.IsAsciiLetter(value[schemeStart])
            && value.AsSpan(i).StartsWith("://", StringComparison.Ordinal) ? i + 3 : 0;
    }
}
