using Microsoft.Extensions.Configuration;

namespace StChat.Ingest;

/// <summary>Reads <c>Nats:Url</c>, with an error that says what to set.</summary>
public static class NatsUrl
{
    public static string Get(IConfiguration configuration)
    {
        var value = configuration["Nats:Url"];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                "Nats:Url is not set. Set it in config/appsettings.json or with the environment variable Nats__Url, " +
                "e.g. 'nats://127.0.0.1:4222' (a comma-separated list for a cluster).");
        }

        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "nats://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls"))
            {
                throw new InvalidOperationException(
                    $"Nats:Url contains '{part}', which is not a nats:// or tls:// URL such as 'nats://127.0.0.1:4222'.");
            }
        }

        return value;
    }
}
