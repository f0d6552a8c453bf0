using Microsoft.Playwright;

namespace StChat.Web.Tests.Infrastructure;

// Debian's chromium, headless, driven by Playwright's bundled driver. Playwright gives every launch a fresh temporary
// profile (user-data dir) and deletes it on close.
internal static class HeadlessChromium
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        var chromium = ExternalTool.Require("chromium", "chromium", "/usr/bin/chromium");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }
}
