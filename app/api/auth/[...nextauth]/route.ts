import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/next-auth";
import { methodsNotAllowed } from "@/lib/http/methods";

type Ctx = { params: Promise<{ nextauth: string[] }> };

// next-auth builds its handler from options that depend on validated env: build it per request.
async function handler(req: Request, ctx: Ctx) {
  return NextAuth(authOptions())(req, ctx);
}

export { handler as GET, handler as POST };

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
