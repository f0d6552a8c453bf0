using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace StChat.Server;

/// <summary>
/// Serves the browser client (the <c>web/</c> folder copied next to the executable) from the chat server itself.
/// <c>/</c> is also the WebSocket endpoint of the default room, so only a plain GET or HEAD of it gets the page; an
/// upgrade request goes on to the chat endpoint.
/// </summary>
internal static class WebAssets
{
    // The page needs nothing from anywhere else; the policy says so, and keeps injected markup from loading scripts.
    private const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    // A fixed list rather than a file server: nothing outside these files can be asked for by path.
    private static readonly Dictionary<string, (string File, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/index.html"] = ("index.html", "text/html; charset=utf-8"),
        ["/common.js"] = ("common.js", "text/javascript; charset=utf-8"),
        ["/api.js"] = ("api.js", "text/javascript; charset=utf-8"),
        ["/conversation.js"] = ("conversation.js", "text/javascript; charset=utf-8"),
        ["/account.js"] = ("account.js", "text/javascript; charset=utf-8"),
        ["/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["/app.css"] = ("app.css", "text/css; charset=utf-8"),
        ["/feeds"] = ("feeds.html", "text/html; charset=utf-8"),
        ["/feeds.js"] = ("feeds.js", "text/javascript; charset=utf-8"),
        ["/feeds.css"] = ("feeds.css", "text/css; charset=utf-8"),
    };

    public static string Root => Path.Combine(AppContext.BaseDirectory, "web");

    public static WebApplication MapStChatWeb(this WebApplication app)
    {
        // Requests for anything else (a WebSocket among them, for as long as it is open) pass on without an async frame
        // of their own.
        app.Use((context, next) =>
        {
            var request = context.Request;
            return !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
                || IsUpgrade(request)
                || !Files.TryGetValue(request.Path.Value ?? "", out var asset)
                ? next(context)
                : ServeAsync(context, asset, next);
        });
        return app;
    }

    private static async Task ServeAsync(HttpContext context, (string File, string ContentType) asset, RequestDelegate next)
    {
        var file = new FileInfo(Path.Combine(Root, asset.File));
        if (!file.Exists)
        {
            await next(context);
            return;
        }

        var request = context.Request;
        var response = context.Response;
        response.ContentType = asset.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.ContentLength = file.Length;
        if (HttpMethods.IsGet(request.Method))
        {
            await response.SendFileAsync(file.FullName, context.RequestAborted);
        }
    }

    private static bool IsUpgrade(HttpRequest request) =>
        request.Headers.ContainsKey(HeaderNames.Upgrade) || request.Headers.ContainsKey(HeaderNames.SecWebSocketKey);
}
