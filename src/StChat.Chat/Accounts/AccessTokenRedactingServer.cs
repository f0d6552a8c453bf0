using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace StChat.Chat.Accounts;

// Takes ?access_token= out of every request's URL before the host sees the request, and keeps it as the request's
// QueryAccessToken feature. Everything that writes URLs (ASP.NET Core's "Request starting ..." log at any level, for
// any logging provider, error pages, tracing) then never has the token to write. It wraps the web server because the
// host logs the URL before the first middleware runs. The token is found the way HttpRequest.Query would find it:
// the name without regard to case and percent-decoded, several values joined with commas (which no token matches).
internal sealed class AccessTokenRedactingServer(IServer inner) : IServer
{
    public IFeatureCollection Features => inner.Features;

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull => inner.StartAsync(new Application<TContext>(application), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

    public void Dispose() => inner.Dispose();

    // The query string without access_token parameters, and their values; null when it has none.
    internal static (string Query, string Token)? Take(string query)
    {
        if (!query.Contains("token", StringComparison.OrdinalIgnoreCase) && !query.Contains('%', StringComparison.Ordinal))
        {
            return null;
        }

        var kept = new List<string>();
        var tokens = new List<string>();
        foreach (var part in query.TrimStart('?').Split('&'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = WebUtility.UrlDecode(equals < 0 ? part : part[..equals]);
            if (string.Equals(name, QueryAccessToken.Parameter, StringComparison.OrdinalIgnoreCase))
            {
                tokens.Add(equals < 0 ? "" : WebUtility.UrlDecode(part[(equals + 1)..]));
            }
            else if (part.Length > 0)
            {
                kept.Add(part);
            }
        }

        return tokens.Count == 0 ? null : (kept.Count == 0 ? "" : "?" + string.Join('&', kept), string.Join(',', tokens));
    }

    private sealed class Application<TContext>(IHttpApplication<TContext> inner) : IHttpApplication<TContext>
        where TContext : notnull
    {
        public TContext CreateContext(IFeatureCollection contextFeatures)
        {
            QueryAccessToken? found = null;
            if (contextFeatures.Get<IHttpRequestFeature>() is { } request && Take(request.QueryString) is var (query, token))
            {
                request.QueryString = query;
                var path = request.RawTarget.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? request.RawTarget[..at] : request.RawTarget;
                request.RawTarget = path + query;
                found = new QueryAccessToken(token);
            }

            // Set on every request, also to null: the server may reuse one feature collection for the next request of
            // a connection, which must not inherit this one's token.
            contextFeatures.Set(found);

            return inner.CreateContext(contextFeatures);
        }

        public Task ProcessRequestAsync(TContext context) => inner.ProcessRequestAsync(context);

        public void DisposeContext(TContext context, Exception? exception) => inner.DisposeContext(context, exception);
    }
}
