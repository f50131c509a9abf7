import NextAuth from "next-auth";
import { services } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

type Ctx = { params: Promise<{ nextauth: string[] }> };

// next-auth builds its handler from the options the composition root built from the validated env.
async function handler(req: Request, ctx: Ctx) {
  return NextAuth(services().authOptions)(req, ctx);
}

export { handler as GET, handler as POST };

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
